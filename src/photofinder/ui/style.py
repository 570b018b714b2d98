"""The window's few style rules, in one place; colours follow the palette where they can."""

ACCENT = "#2f6fe4"

STYLE_SHEET = f"""
QLabel#panelTitle {{ font-weight: 600; padding: 2px 0 2px 2px; }}
QListWidget#folderList {{ border-radius: 6px; }}
QListWidget#folderList::item {{ padding: 6px 4px; border-radius: 4px; }}
QListWidget#folderList::item:selected {{ background: palette(highlight); color: palette(highlighted-text); }}
QLabel#dimLabel {{ color: #6e6e6e; }}
QLabel#heading {{ font-weight: 600; padding: 2px 0; }}
QLabel#emptyTitle {{ font-size: 20pt; font-weight: 600; }}
QLabel#emptyText {{ font-size: 11pt; color: #3a3a3a; }}
QLabel#noticeText {{ font-size: 13pt; color: #555555; }}
QLineEdit {{
    padding: 3px 8px; border: 1px solid palette(mid); border-radius: 6px; background: palette(base);
}}
QLineEdit:focus {{ border: 1px solid {ACCENT}; }}
QFrame#chip {{ border: 1px solid palette(mid); border-radius: 8px; background: palette(base); }}
QPushButton#primaryButton {{
    padding: 8px 24px; font-weight: 600; color: white; background: {ACCENT};
    border: none; border-radius: 6px;
}}
QPushButton#primaryButton:hover {{ background: #2a63cc; }}
QListView {{ background: palette(base); }}
QStatusBar QLabel {{ padding: 0 4px; }}
QStatusBar QPushButton {{ padding: 1px 10px; }}
"""
