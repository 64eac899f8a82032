"""Running as an appliance: systemd notifications, first-boot provisioning, diagnostics."""
