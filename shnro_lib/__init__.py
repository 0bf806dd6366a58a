"""shnro — research-and-reporting workbook for ШНРО / ШНСУ support programmes."""

__version__ = "0.1.0"
