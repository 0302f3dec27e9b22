//! Captured frames and the .pcap files that hold them.
//!
//! The classic pcap format (what `tcpdump -w` writes), link type Ethernet,
//! microsecond timestamps: Wireshark, tshark and tcpdump all open it.
//! Loopback frames captured on Linux already start with a (zeroed) Ethernet
//! header, so they are written as they are.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::DataLink;

/// One captured frame: its bytes (from the Ethernet header on) and when it
/// passed, as time since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub time: Duration,
    pub bytes: Vec<u8>,
}

fn to_io(e: pcap_file::PcapError) -> io::Error {
    match e {
        pcap_file::PcapError::IoError(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// The longest frame a .pcap written here keeps whole (tcpdump's own
/// bound). Trap: the default, 65535, is less than what loopback carries
/// with segmentation offload (a 64 KiB segment plus its headers): such a
/// frame was refused (`incl_len > snap_len`) and the evidence lost, half
/// written (hostile round 11). A longer one is cut, its length kept.
const SNAPLEN: usize = 262_144;

/// Writes `frames` to a new .pcap file at `path`; nothing is left there if
/// it cannot be written whole.
pub fn write_pcap(path: &Path, frames: &[Frame]) -> io::Result<()> {
    let written = (|| {
        let file = BufWriter::new(File::create(path)?);
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            snaplen: SNAPLEN as u32,
            ..PcapHeader::default()
        };
        let mut writer = PcapWriter::with_header(file, header).map_err(to_io)?;
        for frame in frames {
            let kept = &frame.bytes[..frame.bytes.len().min(SNAPLEN)];
            let packet = PcapPacket::new(frame.time, frame.bytes.len() as u32, kept);
            writer.write_packet(&packet).map_err(to_io)?;
        }
        writer.into_writer().flush()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// Reads every frame of a .pcap file with link type Ethernet.
pub fn read_pcap(path: &Path) -> io::Result<Vec<Frame>> {
    let mut reader = PcapReader::new(BufReader::new(File::open(path)?)).map_err(to_io)?;
    if reader.header().datalink != DataLink::ETHERNET {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: link type {:?}, expected Ethernet",
                path.display(),
                reader.header().datalink
            ),
        ));
    }
    let mut frames = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.map_err(to_io)?;
        frames.push(Frame {
            time: packet.timestamp,
            bytes: packet.data.into_owned(),
        });
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::super::segment::tests::session_frames;
    use super::*;

    #[test]
    fn frames_survive_a_round_trip_through_a_pcap_file() {
        let frames: Vec<Frame> = session_frames()
            .into_iter()
            .map(|(us, bytes)| Frame {
                time: Duration::from_micros(1_700_000_000_000_000 + us),
                bytes,
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.pcap");
        write_pcap(&path, &frames).unwrap();
        let raw = std::fs::read(&path).unwrap();
        // Magic number of a microsecond pcap and link type 1 (Ethernet).
        assert!(
            raw.starts_with(&[0xa1, 0xb2, 0xc3, 0xd4])
                || raw.starts_with(&[0xd4, 0xc3, 0xb2, 0xa1])
        );
        assert_eq!(read_pcap(&path).unwrap(), frames);
    }

    /// Loopback with segmentation offload carries frames of 64 KiB and
    /// more: kept whole (they were refused, and the file half written).
    #[test]
    fn a_64_kib_loopback_frame_is_kept_whole() {
        let mut frames: Vec<Frame> = session_frames()
            .into_iter()
            .map(|(us, bytes)| Frame {
                time: Duration::from_micros(1_700_000_000_000_000 + us),
                bytes,
            })
            .collect();
        let mut big = frames[3].bytes.clone();
        big.resize(65_536 + 66, 0x61);
        frames.push(Frame {
            time: frames[3].time,
            bytes: big,
        });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.pcap");
        write_pcap(&path, &frames).unwrap();
        assert_eq!(read_pcap(&path).unwrap(), frames);
    }

    #[test]
    fn a_file_that_is_not_a_pcap_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pcap");
        std::fs::write(&path, b"hello").unwrap();
        assert!(read_pcap(&path).is_err());
        assert!(read_pcap(&dir.path().join("missing.pcap")).is_err());
    }
}
