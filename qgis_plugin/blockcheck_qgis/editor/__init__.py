"""The checklist editor: a dock over the workbook's lists, kept in step with the map."""
