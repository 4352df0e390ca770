"""The year's record: the workbooks of a cell's and an organisation's year, delivered on
demand and at the year's end, and an organisation's archive."""
