"""Rule families. Each module registers its rule functions with `registry.implements`."""
