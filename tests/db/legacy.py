"""The old server system's schema and some of its rows, as SQL the tests run before adopting.

Phase 2's SQL is the old system's own migration (002_phase2_schema_updates.sql); Phase 1 is
reconstructed from its API models. SQLite has the same tables in SQLite's dialect.
"""

from __future__ import annotations

PG_PHASE1 = """
CREATE TABLE compost_batch (
    id SERIAL PRIMARY KEY,
    start_date TIMESTAMP WITH TIME ZONE NOT NULL,
    projected_end_date TIMESTAMP WITH TIME ZONE NOT NULL,
    status VARCHAR(20) DEFAULT 'active',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE TABLE sensor_data (
    id SERIAL PRIMARY KEY,
    device_id VARCHAR(50),
    temperature DECIMAL(5,2),
    humidity DECIMAL(5,2),
    moisture DECIMAL(5,2),
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
INSERT INTO compost_batch (start_date, projected_end_date, status, created_at) VALUES
 ('2025-03-01 08:00:00+00', '2025-05-01 08:00:00+00', 'completed', '2025-03-01 07:00:00+00'),
 ('2025-06-01 08:00:00+00', '2025-08-15 08:00:00+00', 'active', '2025-06-01 07:00:00+00');
INSERT INTO sensor_data (device_id, temperature, humidity, moisture, timestamp) VALUES
 ('node-1', 55.40, 61.00, 48.20, '2025-06-11 00:00:00+00'),
 ('node-2', 57.10, NULL, 50.00, '2025-06-11 00:01:00+00');
"""

PG_PHASE2 = """
ALTER TABLE compost_batch ADD COLUMN IF NOT EXISTS green_waste_kg DECIMAL(5,2);
ALTER TABLE compost_batch ADD COLUMN IF NOT EXISTS brown_waste_kg DECIMAL(5,2);
ALTER TABLE compost_batch ADD COLUMN IF NOT EXISTS total_volume_liters DECIMAL(8,2);
ALTER TABLE compost_batch ADD COLUMN IF NOT EXISTS cn_ratio DECIMAL(6,2);
ALTER TABLE compost_batch ADD COLUMN IF NOT EXISTS initial_volume_liters DECIMAL(8,2);
CREATE TABLE IF NOT EXISTS cycle_waste_input (
    id SERIAL PRIMARY KEY,
    batch_id INT REFERENCES compost_batch(id) ON DELETE CASCADE,
    material_type VARCHAR(50) NOT NULL,
    material_name VARCHAR(100),
    amount_kg DECIMAL(5,2) NOT NULL,
    carbon_nitrogen_ratio DECIMAL(6,2),
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE TABLE IF NOT EXISTS compost_materials (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL UNIQUE,
    material_type VARCHAR(50) NOT NULL,
    carbon_nitrogen_ratio DECIMAL(6,2) NOT NULL,
    density_kg_per_liter DECIMAL(5,3),
    description TEXT
);
INSERT INTO compost_materials (name, material_type, carbon_nitrogen_ratio, density_kg_per_liter) VALUES
('Kitchen Scraps', 'green', 20.0, 0.5),
('Vegetable Peels', 'green', 25.0, 0.4),
('Grass Clippings', 'green', 20.0, 0.3),
('Coffee Grounds', 'green', 20.0, 0.4),
('Dry Leaves', 'brown', 60.0, 0.1),
('Cardboard', 'brown', 350.0, 0.2),
('Wood Chips', 'brown', 400.0, 0.3),
('Straw', 'brown', 80.0, 0.1),
('Newspaper', 'brown', 175.0, 0.2)
ON CONFLICT (name) DO NOTHING;
CREATE INDEX IF NOT EXISTS idx_compost_batch_status ON compost_batch(status);
CREATE INDEX IF NOT EXISTS idx_cycle_waste_input_batch_id ON cycle_waste_input(batch_id);
CREATE INDEX IF NOT EXISTS idx_compost_materials_type ON compost_materials(material_type);
"""

PG_PHASE2_ROWS = """
INSERT INTO compost_materials (name, material_type, carbon_nitrogen_ratio, density_kg_per_liter, description)
VALUES ('Brewery grain', 'green', 12.5, 0.65, 'from the brewery next door');
UPDATE compost_batch SET green_waste_kg = 120.50, brown_waste_kg = 300.25, cn_ratio = 27.40,
    initial_volume_liters = 1500.00, total_volume_liters = 1400.00 WHERE id = 2;
INSERT INTO cycle_waste_input (batch_id, material_type, material_name, amount_kg, carbon_nitrogen_ratio, timestamp)
VALUES (2, 'green', 'Kitchen Scraps', 120.50, 20.00, '2025-06-01 09:00:00+00'),
       (2, 'brown', 'Straw', 300.25, 80.00, '2025-06-01 09:30:00+00'),
       (2, 'green', 'Mystery mix', 10.00, NULL, '2025-06-02 09:30:00+00');
"""

SQLITE_PHASE1 = """
CREATE TABLE compost_batch (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    start_date TIMESTAMP NOT NULL,
    projected_end_date TIMESTAMP NOT NULL,
    status VARCHAR(20) DEFAULT 'active',
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE sensor_data (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id VARCHAR(50),
    temperature DECIMAL(5,2),
    humidity DECIMAL(5,2),
    moisture DECIMAL(5,2),
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO compost_batch (start_date, projected_end_date, status, created_at) VALUES
 ('2025-03-01 08:00:00', '2025-05-01 08:00:00', 'completed', '2025-03-01 07:00:00'),
 ('2025-06-01 08:00:00', '2025-08-15 08:00:00', 'active', '2025-06-01 07:00:00');
INSERT INTO sensor_data (device_id, temperature, humidity, moisture, timestamp) VALUES
 ('node-1', 55.40, 61.00, 48.20, '2025-06-11 00:00:00'),
 ('node-2', 57.10, NULL, 50.00, '2025-06-11 00:01:00');
"""

SQLITE_PHASE2 = (
    PG_PHASE2.replace("SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
    .replace("TIMESTAMP WITH TIME ZONE DEFAULT NOW()", "TIMESTAMP DEFAULT CURRENT_TIMESTAMP")
    .replace("ON CONFLICT (name) DO NOTHING", "")
    .replace("ADD COLUMN IF NOT EXISTS", "ADD COLUMN")
)
SQLITE_PHASE2_ROWS = PG_PHASE2_ROWS.replace("+00'", "'")

LEGACY_TABLES = ("compost_batch", "cycle_waste_input", "compost_materials", "sensor_data")


def script(dialect: str, phase: int) -> str:
    if dialect == "sqlite":
        return SQLITE_PHASE1 + (SQLITE_PHASE2 + SQLITE_PHASE2_ROWS if phase == 2 else "")
    return PG_PHASE1 + (PG_PHASE2 + PG_PHASE2_ROWS if phase == 2 else "")
