"""Rendering of files: chart PNG, XLSX workbook, minutes document, .ics calendar."""
