/* placeholder */ int kp__placeholder(void); int kp__placeholder(void) { return 0; }
