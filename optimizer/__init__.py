"""Critical-minerals supply optimizer: refining, magnet plants and stockpiles under dependence
limits, from an Excel workbook to a plan workbook."""

__version__ = "0.1.0"

__all__ = ["Plan", "diff", "solve", "sweep", "validate"]


def __getattr__(name: str) -> object:
    """`optimizer.solve`, `.validate`, `.sweep`, `.diff` and `.Plan` (see `optimizer.api`),
    imported on first use so that `optimizer -h` stays instant."""
    if name in __all__:
        from optimizer import api

        return getattr(api, name)
    raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
