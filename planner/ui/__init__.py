"""Qt user interface: windows, docks, the map view. The model never imports this package."""
