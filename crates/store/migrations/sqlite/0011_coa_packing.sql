-- A CoA's original bytes and parsed JSON are stored LZ4-compressed (`packing = 'lz4'`: an LZ4 block after its
-- uncompressed length, 4 bytes little-endian). The two are most of the store's bytes and JSON compresses 2-3x,
-- so an import writes less than half as much. Rows written before stay as received (`packing` NULL).
-- The content hash is always of the uncompressed original. PostgreSQL compresses large values itself (TOAST).
ALTER TABLE coas ADD COLUMN packing TEXT CHECK (packing IN ('lz4'));
