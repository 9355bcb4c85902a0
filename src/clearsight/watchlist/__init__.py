"""The CLI's watchlist: subjects and their templates in one SQLite file.

The service keeps its governed watchlist in its own database; this file is for the command
line and the demo. It stores templates only, never the photos they came from.
"""

from clearsight.watchlist._file import WatchlistFile, WatchlistSubject

__all__ = ["WatchlistFile", "WatchlistSubject"]
