"""
The console's sections: each module here with a C{SECTION}
(L{ruststack.console.pages.Section}) is one part of the console; see
L{ruststack.console}.
"""
