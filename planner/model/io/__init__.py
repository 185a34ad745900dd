"""Importers and exporters. Every importer is all-or-nothing and returns an ImportReport."""
