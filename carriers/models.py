"""Carriers, portals, reach, MAC jurisdictions, contracts and portal enrollments."""
