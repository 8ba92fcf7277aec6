"""Team members' schedules: weekly working hours, date exceptions and time off."""
