"""Each venue's client book: who booked there, online or at the front desk (docs/front-desk.md)."""
