"""What every fintract service uses: settings, logging, errors, the gRPC server bootstrap,
NATS, Redis, the database, blob storage and the shared OCR engine. No business logic."""
