/* placeholder */ int khnet__placeholder(void); int khnet__placeholder(void) { return 0; }
