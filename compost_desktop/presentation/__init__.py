"""What the screens and the printed report share about how things look and read.

Colours, words and date formats, with no widget: the GUI and the report renderer both use
them, so a cycle's status is the same green on the list and on paper, and a date is written
one way everywhere. Only QtCore (for the locale's formats) is allowed here.
"""
