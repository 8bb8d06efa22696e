//! The typed decoder never panics, whatever bytes it is given.

use proptest::prelude::*;

const VALID: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"1"],[2,"NaN"]],"histograms":[[3,{"count":"2","sum":"1","buckets":[[0,"0","1","2"]]}]]}]},"warnings":["w"]}"#;

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = chaosprom_api::parse_query_response(&bytes);
    }

    #[test]
    fn mutated_payloads_never_panic(
        cut in 0..VALID.len(),
        flips in prop::collection::vec((0..VALID.len(), any::<u8>()), 0..4),
    ) {
        let mut bytes = VALID.as_bytes().to_vec();
        for (at, byte) in flips {
            bytes[at] = byte;
        }
        let _ = chaosprom_api::parse_query_response(&bytes);
        let _ = chaosprom_api::parse_query_response(&bytes[..cut]);
    }

    #[test]
    fn errors_point_inside_the_payload(cut in 0..VALID.len()) {
        if let Err(chaosprom_api::Error::Decode { offset, .. }) =
            chaosprom_api::parse_query_response(&VALID.as_bytes()[..cut])
        {
            prop_assert!(offset <= cut);
        }
    }
}
