"""Critical-minerals supply optimizer: refining, magnet plants and stockpiles under dependence
limits, from an Excel workbook to a plan workbook."""

__version__ = "0.1.0"
