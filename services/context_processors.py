from django.conf import settings


def map_settings(request):
    """The map tile server for the request form's map picker; empty when the district has none."""
    return {
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
