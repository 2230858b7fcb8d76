"""The workbook: the only code that reads or writes a workbook GeoPackage (and its Excel form)."""
