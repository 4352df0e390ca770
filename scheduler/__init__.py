"""Jobs woken by the clock (PTB's JobQueue); the database decides what is due."""
