"""Operating a Reef deployment: readiness, draining, the job runtime inside `reef serve`."""
