from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import ValidationError

from shop.domain.text import DEVICE_LENGTH, HOST_LENGTH, NAME_LENGTH, SERIAL_DEVICE_LENGTH
from shop.forms import ChoiceField, CountField, ShopForm, at_most, required, select_choices

CONNECTION_LABELS = {
    "none": _l("No printer"),
    "network": _l("Network (Wi-Fi or cable, IP address)"),
    "usb": _l("USB cable into the shop's server (by the maker's and model's numbers)"),
    "file": _l("Plugged into the shop's server (by its device name, such as /dev/usb/lp0)"),
    "serial": _l("Old serial cable (wide plug with pins)"),
    "cups": _l("Through the computer's list of printers (a CUPS queue)"),
}
MODE_LABELS = {
    "raster": _l("Letters drawn as a picture (right on every printer)"),
    "text": _l("The printer's own letters (only if it has a Vietnamese code page)"),
}
DRAWER_LABELS = {"0": _l("No cash drawer"), "2": _l("Drawer on pin 2"), "5": _l("Drawer on pin 5")}
PAPER_LABELS = {"58": _l("58 mm"), "80": _l("80 mm")}
#: Who sends receipts to the printer (see shop.models.ReceiptPath).
RECEIPT_PATH_LABELS = {
    "server": _l(
        "The shop's server, through the print queue (the printer is on its network or cable)"
    ),
    "rawbt": _l("This phone or tablet, through the RawBT app (Android)"),
    "webusb": _l("This tablet, by a USB cable (Chrome on Android, an OTG adapter)"),
    "browser": _l("The browser's own Print, on 58 or 80 mm paper (cannot open the cash drawer)"),
}
BAUDRATES = ("9600", "19200", "38400", "57600", "115200")


def _usb_id(form, field):
    text = (field.data or "").strip().lower().removeprefix("0x")
    if not text:
        field.data = None
        return
    if len(text) > 4 or any(c not in "0123456789abcdef" for c in text):
        raise ValidationError(str(_l("Four hexadecimal digits, as lsusb shows them: 0416.")))
    field.data = int(text, 16)


def _host_field(description) -> StringField:
    """A network printer's IP address or name, as its self-test page prints it."""
    return StringField(
        _l("IP address or name"),
        [at_most(HOST_LENGTH)],
        description=description,
        render_kw={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"},
    )


def _port_field() -> CountField:
    return CountField(_l("Port"), description=_l("Nearly always 9100."))


def _usb_id_field(label, description) -> StringField:
    """A USB printer's maker's or model's number, four hexadecimal digits."""
    return StringField(label, [_usb_id], description=description, render_kw={"autocomplete": "off"})


def _device_field(description) -> StringField:
    """The device the server's printer is plugged into, or a file to print to."""
    return StringField(
        _l("Device or file"),
        [at_most(DEVICE_LENGTH)],
        description=description,
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class PrinterSettingsForm(ShopForm):
    receipt_path = ChoiceField(
        _l("Who sends receipts to the printer"),
        choices=select_choices(RECEIPT_PATH_LABELS),
        description=_l(
            "Choose the server when the printer is in the shop on the server's network. When "
            "the server is elsewhere, the counter's phone or tablet prints: RawBT or a USB "
            "cable also open the cash drawer; the browser's Print cannot."
        ),
    )
    connection = ChoiceField(
        _l("How the printer is connected"),
        [required()],
        choices=select_choices(CONNECTION_LABELS),
    )
    host = _host_field(_l("Printed on the printer's self-test page, for example 192.168.1.50."))
    port = _port_field()
    usb_vendor_id = _usb_id_field(
        _l("USB vendor id"),
        _l(
            "Four letters and digits that name the printer's maker. Whoever set up the computer "
            "finds them with the command lsusb: in 0416:5011 it is 0416."
        ),
    )
    usb_product_id = _usb_id_field(
        _l("USB product id"), _l("The four after the colon: in 0416:5011 it is 5011.")
    )
    serial_device = StringField(
        _l("Serial device"),
        [at_most(SERIAL_DEVICE_LENGTH)],
        description=_l("The name the computer gives the cable, usually /dev/ttyUSB0."),
    )
    baudrate = ChoiceField(_l("Speed (baud)"), choices=select_choices((b, b) for b in BAUDRATES))
    path = _device_field(
        _l(
            "The name the server gives the printer plugged into it, usually /dev/usb/lp0. "
            "To try without a printer: printer-out/receipts.bin (a file that keeps what "
            "would be printed)."
        )
    )
    cups_queue = StringField(
        _l("Printer's name in the computer's list (CUPS queue)"),
        [at_most(NAME_LENGTH)],
        description=_l("As the computer's printer settings show it, for example XP-58."),
    )
    paper_mm = ChoiceField(_l("Paper width"), [required()], choices=select_choices(PAPER_LABELS))
    profile = ChoiceField(
        _l("Printer model"),
        [required()],
        description=_l(
            "The model written on the printer. Not in the list? Choose “default”: it works "
            "with nearly every receipt printer."
        ),
    )
    mode = ChoiceField(
        _l("How Vietnamese is printed"), [required()], choices=select_choices(MODE_LABELS)
    )
    drawer_pin = ChoiceField(_l("Cash drawer"), [required()], choices=select_choices(DRAWER_LABELS))
    auto_receipt = BooleanField(_l("Print a receipt for every sale"), default=True)

    def validate_port(self, field):
        if field.data is not None and not 1 <= field.data <= 65535:
            raise ValidationError(str(_l("A port is a number from 1 to 65535.")))

    def values(self) -> dict:
        """The settings as :func:`shop.services.printing.save_printer_settings` takes them."""
        from shop.models import ConnectionKind, PrintMode, ReceiptPath

        values = {} if not self.receipt_path.data else {
            "receipt_path": ReceiptPath(self.receipt_path.data)
        }  # fmt: skip
        return values | {
            "connection": ConnectionKind(self.connection.data),
            "host": (self.host.data or "").strip(),
            "port": self.port.data or 9100,
            "usb_vendor_id": self.usb_vendor_id.data,
            "usb_product_id": self.usb_product_id.data,
            "serial_device": (self.serial_device.data or "").strip(),
            "baudrate": int(self.baudrate.data or 9600),
            "path": (self.path.data or "").strip(),
            "cups_queue": (self.cups_queue.data or "").strip(),
            "paper_mm": int(self.paper_mm.data),
            "profile": self.profile.data,
            "mode": PrintMode(self.mode.data),
            "drawer_pin": int(self.drawer_pin.data),
            "auto_receipt": bool(self.auto_receipt.data),
        }


def _hex(value: int | None) -> str:
    return "" if value is None else f"{value:04x}"


def settings_form(settings) -> PrinterSettingsForm:
    """The settings form, filled from ``settings`` unless a form was posted."""
    from shop.printing.escpos_out import profile_names

    data = {
        "receipt_path": settings.receipt_path.value,
        "connection": settings.connection.value,
        "host": settings.host,
        "port": settings.port,
        "usb_vendor_id": _hex(settings.usb_vendor_id),
        "usb_product_id": _hex(settings.usb_product_id),
        "serial_device": settings.serial_device,
        "baudrate": str(settings.baudrate),
        "path": settings.path,
        "cups_queue": settings.cups_queue,
        "paper_mm": str(settings.paper_mm),
        "profile": settings.profile,
        "mode": settings.mode.value,
        "drawer_pin": str(settings.drawer_pin),
        "auto_receipt": settings.auto_receipt,
    }
    form = PrinterSettingsForm(data=data)
    form.profile.choices = select_choices((name, name) for name in profile_names())
    return form


# --- the label printer ---------------------------------------------------------------------

LANGUAGE_LABELS = {
    "none": _l("No label printer: tags on the A4 sheet"),
    "tspl": _l("Roll label printer (TSPL: Xprinter XP-365B, XP-350B, XP-420B and the like)"),
    "escpos": _l("Labels on a receipt printer's roll (ESC/POS)"),
}
LABEL_CONNECTION_LABELS = {
    "network": CONNECTION_LABELS["network"],
    "usb": CONNECTION_LABELS["usb"],
    "file": CONNECTION_LABELS["file"],
    "none": _l("The receipt printer itself (ESC/POS only)"),
}
ROLL_LABELS = {
    "35x22x2": _l("35 × 22 mm, two labels across"),
    "40x30": _l("40 × 30 mm"),
    "50x30": _l("50 × 30 mm"),
    "custom": _l("Another size"),
}
COLUMN_LABELS = {"1": _l("One"), "2": _l("Two"), "3": _l("Three")}


class LabelPrinterForm(ShopForm):
    language = ChoiceField(
        _l("What prints the price tags"), [required()], choices=select_choices(LANGUAGE_LABELS)
    )
    connection = ChoiceField(
        _l("How the label printer is connected"),
        [required()],
        choices=select_choices(LABEL_CONNECTION_LABELS),
    )
    host = _host_field(_l("Printed on the printer's self-test page, for example 192.168.1.60."))
    port = _port_field()
    usb_vendor_id = _usb_id_field(
        _l("USB vendor id"), _l("As lsusb shows it: in 2d37:5f2d it is 2d37.")
    )
    usb_product_id = _usb_id_field(
        _l("USB product id"), _l("The four after the colon: in 2d37:5f2d it is 5f2d.")
    )
    path = _device_field(
        _l(
            "The name the server gives the label printer plugged into it, usually "
            "/dev/usb/lp1. To try without a printer: printer-out/labels.bin."
        )
    )
    roll = ChoiceField(
        _l("Label roll"),
        [required()],
        choices=select_choices(ROLL_LABELS),
        description=_l("Written on the roll's box: the size of one label."),
    )
    width_mm = CountField(_l("Label width (mm)"), message=_l("Write the width in mm, such as 40."))
    height_mm = CountField(
        _l("Label height (mm)"), message=_l("Write the height in mm, such as 30.")
    )
    columns = ChoiceField(_l("Labels across the roll"), choices=select_choices(COLUMN_LABELS))
    gap_mm = CountField(
        _l("Gap between labels (mm)"),
        message=_l("Write the gap in mm, such as 2."),
        description=_l("The strip of backing paper between two labels: nearly always 2."),
    )
    density = CountField(
        _l("Darkness (0 to 15)"),
        message=_l("Write a number from 0 to 15."),
        description=_l("Higher prints darker; 8 suits most rolls. Pale bars: try 10 or 12."),
    )

    def validate_port(self, field):
        if field.data is not None and not 1 <= field.data <= 65535:
            raise ValidationError(str(_l("A port is a number from 1 to 65535.")))

    def _custom(self) -> bool:
        return self.language.data == "tspl" and self.roll.data == "custom"

    def validate_width_mm(self, field):
        if self._custom() and field.data is None:
            raise ValidationError(str(_l("Write the width in mm, such as 40.")))

    def validate_height_mm(self, field):
        if self._custom() and field.data is None:
            raise ValidationError(str(_l("Write the height in mm, such as 30.")))

    def values(self) -> dict:
        """The settings as :func:`shop.services.printing.save_label_printer_settings`
        takes them."""
        from shop.models import ConnectionKind, LabelLanguage
        from shop.printing.tspl import ROLLS

        roll = ROLLS.get(self.roll.data)
        return {
            "language": LabelLanguage(self.language.data),
            "connection": ConnectionKind(self.connection.data),
            "host": (self.host.data or "").strip(),
            "port": self.port.data or 9100,
            "usb_vendor_id": self.usb_vendor_id.data,
            "usb_product_id": self.usb_product_id.data,
            "path": (self.path.data or "").strip(),
            "width_mm": roll.width_mm if roll else self.width_mm.data or 40,
            "height_mm": roll.height_mm if roll else self.height_mm.data or 30,
            "columns": roll.columns if roll else int(self.columns.data or 1),
            "gap_mm": 2 if self.gap_mm.data is None else self.gap_mm.data,
            "density": 8 if self.density.data is None else self.density.data,
        }


def label_printer_form(settings) -> LabelPrinterForm:
    """The label printer's form, filled from ``settings`` unless a form was posted."""
    from shop.printing.tspl import ROLLS

    roll = next(
        (
            name
            for name, r in ROLLS.items()
            if (r.width_mm, r.height_mm, r.columns)
            == (settings.width_mm, settings.height_mm, settings.columns)
        ),
        "custom",
    )
    return LabelPrinterForm(
        data={
            "language": settings.language.value,
            # A shop setting up its first label printer most likely has a network one.
            "connection": settings.connection.value
            if settings.language.value != "none"
            and settings.connection.value in LABEL_CONNECTION_LABELS
            else "network",
            "host": settings.host,
            "port": settings.port,
            "usb_vendor_id": _hex(settings.usb_vendor_id),
            "usb_product_id": _hex(settings.usb_product_id),
            "path": settings.path,
            "roll": roll,
            "width_mm": settings.width_mm,
            "height_mm": settings.height_mm,
            "columns": str(settings.columns),
            "gap_mm": settings.gap_mm,
            "density": settings.density,
        }
    )
