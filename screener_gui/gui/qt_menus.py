"""The workstation's menus and keys, in one place (the README's key table follows this file)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from screener_gui.core.enhance import ENHANCEMENTS

MODES = ("operator", "analyst", "annotator")
DETECTOR_MODES = {"dense": "Dense whole-item detector", "paper": "Paper (DFL per sub-component)"}


def install_menus(window) -> None:
    """The menu bar and every key of ``window`` (a MainWindow); shortcuts work with the menus
    hidden too."""
    menu = window.menuBar().addMenu("&File")
    _action(window, menu, "Open files…", QKeySequence.StandardKey.Open, window.open_files_dialog)
    _action(window, menu, "Open folder…", "Ctrl+Shift+O", window.open_folder_dialog)
    _action(window, menu, "Watch folder…", "Ctrl+W", window.watch_folder_dialog)
    window.simulate_action = _action(window, menu, "Simulated scanner", "Ctrl+M", window.toggle_simulator)
    window.simulate_action.setCheckable(True)
    menu.addSeparator()
    _action(window, menu, "Save labels", QKeySequence.StandardKey.Save, window.save_labels)
    _action(window, menu, "Export training set…", "Ctrl+E", window.export_dialog)
    menu.addSeparator()
    window.log_files_action = _action(window, menu, "Log files…", "Ctrl+L", window.problems.show_locations)
    menu.addSeparator()
    _action(window, menu, "Quit", QKeySequence.StandardKey.Quit, window.close)

    menu = window.menuBar().addMenu("&Decide")
    _action(window, menu, "Clear bag", "C", lambda: window.decide("clear"))
    _action(window, menu, "Suspect bag", "S", lambda: window.decide("suspect"))
    _action(window, menu, "Next bag", "Right", lambda: window.step(1))
    _action(window, menu, "Previous bag", "Left", lambda: window.step(-1))

    menu = window.menuBar().addMenu("&View")
    menu.setToolTipsVisible(True)  # the contours layer's tip explains its colours
    window.layer_actions = {}
    for name, key in (("heatmap", "H"), ("contours", "B"), ("outlines", "O")):
        action = _action(
            window, menu, f"{name.capitalize()} layer", key, lambda n=name: window.toggle_layer(n)
        )
        action.setCheckable(True)
        window.layer_actions[name] = action
    _action(window, menu, "Fit scan", "R", window.viewer.reset_view)
    window.palette_action = _action(
        window, menu, "Colour-blind safe lines (orange / blue)", "K", lambda: window.set_palette(None)
    )
    window.palette_action.setCheckable(True)
    menu.addSeparator()
    _action(window, menu, "Scan as rendered", "0", lambda: window.set_enhancement(""))
    for number, name in enumerate(ENHANCEMENTS, start=1):
        _action(
            window,
            menu,
            name.replace("_", " ").capitalize(),
            str(number),
            lambda n=name: window.set_enhancement(n),
        )

    menu = window.menuBar().addMenu("&Mode")
    group = QActionGroup(window)
    window.mode_actions = {}
    for mode, key in zip(MODES, ("F2", "F3", "F4"), strict=True):
        action = _action(window, menu, mode.capitalize(), key, lambda m=mode: window.set_mode(m))
        action.setCheckable(True)
        group.addAction(action)
        window.mode_actions[mode] = action

    menu = window.menuBar().addMenu("&Edit")
    _action(window, menu, "Undo label", "Ctrl+Z", window.undo)
    _action(window, menu, "Redo label", ("Ctrl+Shift+Z", "Ctrl+Y"), window.redo)

    menu = window.menuBar().addMenu("&Pipeline")
    _action(window, menu, "Cancel queued scans", "Esc", window.cancel_queued)
    devices = menu.addMenu("Device (from the next start)")
    group = QActionGroup(window)
    for device in ("auto", "cpu", "cuda"):
        action = devices.addAction(device)
        action.setCheckable(True)
        action.setChecked(device == window.prefs.device)
        action.triggered.connect(lambda _checked=False, d=device: window.set_device(d))
        group.addAction(action)
    _detector_menu(window, menu)


def _detector_menu(window, menu) -> None:
    """Pipeline ▸ Detector: the detector mode, switched at once when the window can load models."""
    live = window.load_screener is not None
    modes = menu.addMenu("Detector" if live else "Detector (from the next start)")
    group = QActionGroup(window)
    window.detector_actions = {}
    for mode, text in DETECTOR_MODES.items():
        action = modes.addAction(text)
        action.setCheckable(True)
        action.setChecked(mode == window.prefs.detector_mode)
        action.triggered.connect(lambda _checked=False, m=mode: window.set_detector_mode(m))
        group.addAction(action)
        window.detector_actions[mode] = action


def _action(window, menu, text: str, key, slot) -> QAction:
    action = QAction(text, window)
    action.setShortcuts([QKeySequence(k) for k in key] if isinstance(key, tuple) else [QKeySequence(key)])
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    window.addAction(action)  # shortcuts work with the menu bar hidden, too
    return action
