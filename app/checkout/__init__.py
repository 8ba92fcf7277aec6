"""Use cases that span booking and money: checkout (the cart becomes a held order, a gift
voucher or promo code applied), moves to another time (reschedule, with a top-up when the
new time costs more) and what a move's payment settles. The only package besides the pages
that imports booking and payments both."""
