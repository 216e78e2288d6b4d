"""The documented entry point: ``streamlit run dashboards/app.py`` runs the dashboard that ships in cnnviz.

The app itself lives in ``cnnviz/dashboard/`` so that ``pip install "cnnviz[dashboard]"`` and
``cnnviz dashboard`` work without a checkout.
"""

from cnnviz.dashboard.app import main

main()
