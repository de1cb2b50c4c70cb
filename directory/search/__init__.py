"""Read side of the public directory: faceted search of listings and peer workers."""
