"""A first visit to /sweeps on a freshly started server lands here: see ui/routing.py."""
from ui.routing import run_router

run_router()
