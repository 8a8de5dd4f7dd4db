"""The web dashboard: each learner's and each group's progress and settings, and the plan, as server-rendered pages
(FastAPI routes, Jinja2 templates, inline SVG, one stylesheet, no script). Signed links sign people in; the routes
are thin and ask the core for everything they show or change."""
