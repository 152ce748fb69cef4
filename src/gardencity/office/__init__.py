"""Documents for an office: spreadsheets (:mod:`~gardencity.office.workbook`, needs openpyxl)
and Word documents (:mod:`~gardencity.office.word`, needs python-docx) laid out as Chinese
offices lay them out. Import the module you need; this package imports neither."""
