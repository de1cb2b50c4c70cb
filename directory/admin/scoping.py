"""Organisation scoping for every admin surface.

Every directory ModelAdmin and inline derives from these classes and declares how its objects
reach an organisation (``organization_path``). For a staff user who is not a curator:

- scoped models (``organization_path`` set) show only objects of the user's organisations:
  change lists, change/delete/history pages (404 for anything else), bulk actions, exports,
  autocomplete results and foreign-key choices all read ``get_queryset``;
- ``curator_only`` models (submissions, memberships) are invisible whatever the permissions;
- reference models (no ``organization_path``) are read-only.

The authorisation matrix in ``tests/test_admin_matrix.py`` walks ``admin.site._registry`` and
checks these rules for every registered model.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404

from directory.admin.widgets import ChoicesAutocompleteSelectMultiple
from directory.models import Organization
from directory.services.roles import is_curator, organization_ids
from directory.validators import apply_single_line


class ScopingMixin:
    #: ORM path from the model to its Organization ("pk" for Organization itself); None means
    #: reference data shared by everyone.
    organization_path: str | None = None
    #: Editors never see this model, even if someone gave them permissions by hand.
    curator_only: bool = False

    # --- what a user may see -------------------------------------------------------------

    def scope_queryset(self, request, queryset):
        if is_curator(request.user) or self.organization_path is None:
            return queryset
        # Every path is a chain of foreign keys, so the filter never duplicates rows.
        return queryset.filter(**{f"{self.organization_path}__in": organization_ids(request.user)})

    def is_in_scope(self, request, obj) -> bool:
        if obj is None or obj.pk is None or is_curator(request.user):
            return True
        if self.organization_path is None:
            return True
        return self.scope_queryset(request, self.model._default_manager.filter(pk=obj.pk)).exists()

    def _editor_may_write(self, request) -> bool:
        return is_curator(request.user) or (
            self.organization_path is not None and not self.curator_only
        )

    # --- permissions ---------------------------------------------------------------------

    def has_view_permission(self, request, obj=None):
        if self.curator_only and not is_curator(request.user):
            return False
        return super().has_view_permission(request, obj) and self.is_in_scope(request, obj)

    def has_add_permission(self, request, *args):
        return self._editor_may_write(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return (
            self._editor_may_write(request)
            and super().has_change_permission(request, obj)
            and self.is_in_scope(request, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return (
            self._editor_may_write(request)
            and super().has_delete_permission(request, obj)
            and self.is_in_scope(request, obj)
        )

    # --- choices offered in forms --------------------------------------------------------

    def get_field_queryset(self, db, db_field, request):
        """Foreign-key and many-to-many choices come from the related admin's scoped queryset."""
        queryset = super().get_field_queryset(db, db_field, request)
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(related_admin, ScopingMixin) and related_admin.organization_path:
            if not is_curator(request.user):
                if queryset is None:
                    queryset = db_field.remote_field.model._default_manager.using(db)
                return related_admin.scope_queryset(request, queryset)
        return queryset

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """Every one-line text field (names, addresses, phones) refuses line breaks, control
        and text-direction characters (directory/validators.py)."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            apply_single_line({db_field.name: field})
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ChoicesAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        # An editor's new objects must belong to one of their organisations, or they would
        # vanish from the editor's own view.
        if (
            field is not None
            and db_field.remote_field.model is Organization
            and not is_curator(request.user)
        ):
            field.required = True
        return field


def _without(fields, hidden):
    kept = []
    for field in fields:
        if isinstance(field, list | tuple):
            field = type(field)(f for f in field if f not in hidden)
            if field:
                kept.append(field)
        elif field not in hidden:
            kept.append(field)
    return kept


class ScopedModelAdmin(ScopingMixin, admin.ModelAdmin):
    show_facets = admin.ShowFacets.ALWAYS
    list_per_page = 50
    #: Bookkeeping only curators see: editors never meet demo internals.
    curator_only_fields = ("is_demo",)

    def get_list_display(self, request):
        items = super().get_list_display(request)
        return items if is_curator(request.user) else _without(items, self.curator_only_fields)

    def get_list_filter(self, request):
        items = super().get_list_filter(request)
        return items if is_curator(request.user) else _without(items, self.curator_only_fields)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if is_curator(request.user):
            return fieldsets
        return [
            (name, {**options, "fields": _without(options["fields"], self.curator_only_fields)})
            for name, options in fieldsets
        ]

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        """Another organisation's object (or a missing one) is a 404, never a redirect."""
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with that ID you can reach.")
        return obj


class ScopedInlineMixin(ScopingMixin):
    """Inlines follow their parent's scope; their own choices are scoped as well."""

    def has_view_permission(self, request, obj=None):
        if self.curator_only and not is_curator(request.user):
            return False
        return super(ScopingMixin, self).has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._editor_may_write(request) and super(ScopingMixin, self).has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return self._editor_may_write(request) and super(ScopingMixin, self).has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return self._editor_may_write(request) and super(ScopingMixin, self).has_delete_permission(
            request, obj
        )


class ScopedTabularInline(ScopedInlineMixin, admin.TabularInline):
    pass


class ScopedStackedInline(ScopedInlineMixin, admin.StackedInline):
    pass
