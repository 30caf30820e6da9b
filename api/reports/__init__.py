"""Rendering of the SMT report and the child's footprint: JSON, CSV, XLSX, SVG charts, PDF, prose.

The figures come from `workflow.report_queries` and `workflow.footprint`; nothing here counts.
"""
