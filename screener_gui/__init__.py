"""xray-screener: find items concealed inside electronics in X-ray bag scans."""

__version__ = "0.1.0"
