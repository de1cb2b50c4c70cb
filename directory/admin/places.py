from django.contrib import admin

from directory.admin.scoping import ScopedModelAdmin
from directory.models import Place


@admin.register(Place)
class PlaceAdmin(ScopedModelAdmin):
    list_display = ["name", "kind", "region_code", "country", "population", "timezone"]
    list_filter = ["kind", "country"]
    # Prefix searches on the indexed folded name stay fast on a national gazetteer.
    search_fields = ["^search_name", "=source_id"]
    # Facet counts over the whole gazetteer are costly: shown on request only.
    show_facets = admin.ShowFacets.ALLOW
    show_full_result_count = False
