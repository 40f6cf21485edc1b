"""RNN Addition Lab (placeholder until the app shell lands)."""

import streamlit as st

st.set_page_config(page_title="RNN Addition Lab", page_icon="➕", layout="wide")
st.title("RNN Addition Lab")
st.write("Watch a recurrent network learn to add binary numbers.")
