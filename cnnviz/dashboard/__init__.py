"""The Streamlit dashboard, shipped inside the package: ``cnnviz dashboard`` runs :mod:`cnnviz.dashboard.app`."""
