"""The HTML report's page template, style and script (package data read by harness.report.html_report)."""
