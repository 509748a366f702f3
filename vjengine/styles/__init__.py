"""Styles: CPPN weights plus metadata, stored as folders under styles/."""
