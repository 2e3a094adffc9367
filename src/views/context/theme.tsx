// The theme in force, served by context; without a provider the dark theme applies, so components render in tests.
import { createContext, useContext, type ReactNode } from 'react';
import { themeFor, type Theme } from '../theme.js';

const ThemeContext = createContext<Theme>(themeFor('dark', '256'));

export function ThemeProvider({ theme, children }: { readonly theme: Theme; readonly children: ReactNode }) {
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}
