//! Handles the unit tests of several modules start from: an app with test credentials and a
//! config pointing at a closed port (nothing is ever sent).

use crate::*;

/// A live app and config; free them with [`free_app_and_config`].
pub(crate) fn app_and_config() -> (*mut pushcast_app, *mut pushcast_config) {
    let (mut app, mut config) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: valid strings and out-pointers; the caller frees the handles.
    unsafe {
        assert_eq!(
            pushcast_app_new(c"1".as_ptr(), c"k".as_ptr(), c"s".as_ptr(), &mut app),
            pushcast_result::Ok
        );
        assert_eq!(
            pushcast_config_new(app, c"http://127.0.0.1:1".as_ptr(), &mut config),
            pushcast_result::Ok
        );
    }
    (app, config)
}

/// Frees what [`app_and_config`] made.
pub(crate) fn free_app_and_config(app: *mut pushcast_app, config: *mut pushcast_config) {
    // SAFETY: live handles, freed once.
    unsafe {
        pushcast_config_free(config);
        pushcast_app_free(app);
    }
}
