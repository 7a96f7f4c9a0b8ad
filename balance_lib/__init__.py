"""balance: 县域义务教育优质均衡发展 analytics.

All calculations are pure functions on tidy pandas frames; I/O lives in :mod:`balance_lib.io`
and the command line in :mod:`balance_lib.cli`.
"""

__version__ = "0.1.0"
