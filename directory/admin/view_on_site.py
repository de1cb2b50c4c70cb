"""The admin's "View on site" redirect (/admin/r/<content type>/<id>/), scoped.

Django's own redirect (``contenttypes.views.shortcut``) sends any staff user to any object's
public URL, so an editor of one organisation could learn another's draft slugs. Here it
answers only for an object the user can see in this admin and may change, or that is
published; anything else is a 404, like the change page.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse


def _published(model, obj) -> bool:
    queryset = model._default_manager.all()
    if not hasattr(queryset, "published"):
        return True  # reference data and the article: public by nature
    return queryset.published().filter(pk=obj.pk).exists()


def view_on_site(request: HttpRequest, content_type_id: int, object_id: str) -> HttpResponse:
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        obj = model._default_manager.get(pk=object_id)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError, AttributeError):
        raise Http404("No object with that ID you can reach.") from None
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not model_admin.has_view_permission(request, obj):
        raise Http404("No object with that ID you can reach.")
    if not (model_admin.has_change_permission(request, obj) or _published(model, obj)):
        raise Http404("No object with that ID you can reach.")
    return shortcut(request, content_type_id, object_id)


# Behind the admin's login like every admin page.
view_on_site = admin.site.admin_view(view_on_site)
