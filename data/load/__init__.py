"""Import of ledger spreadsheets (.xlsx, .csv) per contract §1: read, parse cells, check, write in one transaction."""

from data.load.result import LoadRefused, LoadResult, Problem
from data.load.run import load_files
from data.load.spec import TABLES

__all__ = ["TABLES", "LoadRefused", "LoadResult", "Problem", "load_files"]
