"""What people see: text and HTML reports, charts, the workbook's widgets, the review notebook.

These modules import matplotlib, ipywidgets or nbconvert; ``import planner`` never imports them.
"""
