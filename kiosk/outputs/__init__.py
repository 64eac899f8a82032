"""What happens on paid: status light, buzzer, receipt printer."""
