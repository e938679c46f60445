"""Request dependencies every domain's views share: session, operator, caller, page."""
