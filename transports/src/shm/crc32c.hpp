#pragma once

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of every shared-memory ring
// record. SSE4.2 has an instruction for it (8 bytes per cycle or so); other CPUs use a table.

#include <cstddef>
#include <cstdint>
#include <span>

namespace jaegis::transports::shm {

/// CRC32C of `data`, continuing from `previous` (the CRC of the bytes before it; 0 to start), so
/// crc32c(b, crc32c(a)) == crc32c(a followed by b). "123456789" gives 0xE3069283. Uses the SSE4.2
/// instruction when the CPU has it (checked once), else the table.
std::uint32_t crc32c(std::span<const std::byte> data, std::uint32_t previous = 0) noexcept;

/// The table-driven version, on every CPU.
std::uint32_t crc32c_portable(std::span<const std::byte> data, std::uint32_t previous = 0) noexcept;

/// True when crc32c_hardware may be called (x86-64 with SSE4.2).
bool crc32c_hardware_available() noexcept;

/// The SSE4.2 version; only where crc32c_hardware_available() (falls back to the table elsewhere).
std::uint32_t crc32c_hardware(std::span<const std::byte> data, std::uint32_t previous = 0) noexcept;

}  // namespace jaegis::transports::shm
