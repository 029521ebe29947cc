int main(void) { return 0; } /* placeholder until the server core lands */
