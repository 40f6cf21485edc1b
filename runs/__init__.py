"""The run service and its store (never imports streamlit)."""
